"""The real SSH server and the real OpenSSH client in tmux."""
