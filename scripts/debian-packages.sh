# Sourced by check.sh and quickstart.sh: installs Debian packages that are missing, as root or through
# passwordless sudo; otherwise says what is missing and returns 1 (the caller decides whether that matters).
#   debian_install <package>...
debian_install() {
  [ "$#" -gt 0 ] || return 0
  local run=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      run=(sudo)
    else
      echo "note: missing Debian packages, not installed without root: $* (apt-get install $*)" >&2
      return 1
    fi
  fi
  "${run[@]}" apt-get -o DPkg::Lock::Timeout=600 update
  "${run[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
}

# Whether the system's LAME opens (mp3 is encoded with it; without it, with LAME in WebAssembly).
lame_opens() {
  node -e "require('koffi').load('libmp3lame.so.0')" >/dev/null 2>&1
}
