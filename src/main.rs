// mimalloc: a render allocates millions of small nodes from two threads, and glibc's per-thread
// arenas grow page by page (one mprotect each). See README "Performance".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bindery::cli::main()
}
