// mimalloc: a render allocates millions of small nodes from two threads, and glibc's per-thread
// arenas grow page by page (one mprotect each). See README "Performance".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v2's `mi_option_arena_eager_commit` and `mi_option_purge_delay` (the bundled
/// header's enum; libmimalloc-sys names neither).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Peak memory is a target (README "Performance"): by default mimalloc commits whole arenas
/// up front and keeps freed pages for 10 ms; a render frees its parse buffers while it still
/// grows, so both show up in the peak (about 10 MB on a 5 MB input). The options must be set
/// before the first allocation reserves an arena, so this runs as an early ELF constructor.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
extern "C" fn mimalloc_options() {
    // SAFETY: runs before `main`, single-threaded; mi_option_set only stores the value.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00101")]
static MIMALLOC_OPTIONS: extern "C" fn() = mimalloc_options;

fn main() -> std::process::ExitCode {
    bindery::cli::main()
}
