# Sourced by the scripts: puts the tools they install on PATH (Rust from rustup, Node.js in .node/).
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac
if [ -x .node/bin/node ]; then
  case ":$PATH:" in *":$PWD/.node/bin:"*) ;; *) export PATH="$PWD/.node/bin:$PATH" ;; esac
fi
