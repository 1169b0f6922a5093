#!/bin/sh
# Install bindery as a kustomize legacy exec plugin (kind bindery.dev/v1alpha1 BindingResolver),
# for `kubectl kustomize --enable-alpha-plugins` and `kustomize build --enable-alpha-plugins`.
#
#   sh kustomize-plugin/install.sh            # bindery from PATH
#   BINDERY=/path/to/bindery sh install.sh     # a given binary
#
# It links <plugin home>/bindery.dev/v1alpha1/bindingresolver/BindingResolver to the bindery
# binary; invoked under that name, bindery speaks kustomize's legacy plugin protocol. The plugin
# home is the first of $KUSTOMIZE_PLUGIN_HOME, $XDG_CONFIG_HOME/kustomize/plugin and
# $HOME/.config/kustomize/plugin, which is where kustomize looks first.
set -eu
bin="${BINDERY:-$(command -v bindery || true)}"
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "install.sh: bindery not found (put it on PATH or set BINDERY=/path/to/bindery)" >&2
  exit 1
fi
case "$bin" in
  /*) ;;
  *) bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" ;;
esac
home="${KUSTOMIZE_PLUGIN_HOME:-${XDG_CONFIG_HOME:-$HOME/.config}/kustomize/plugin}"
dir="$home/bindery.dev/v1alpha1/bindingresolver"
mkdir -p "$dir"
ln -sf "$bin" "$dir/BindingResolver"
echo "installed $dir/BindingResolver -> $bin"
