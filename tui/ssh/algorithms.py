"""The algorithms the server offers: a modern set that OpenSSH, PuTTY and dropbear all share."""

from __future__ import annotations

from asyncssh.kex import get_kex_algs
from asyncssh.public_key import get_public_key_algs

# curve25519-sha256 comes first because dropbear sends its first key exchange packet before
# it has seen the server's list, and the guess stands only if both lists start alike. The
# client's order decides the negotiation, so a client preferring ML-KEM still gets it.
_KEX = (
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve448-sha512",
    "diffie-hellman-group16-sha512",  # for the rare client with no elliptic curve
)
ENCRYPTION = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
# Encrypt-then-MAC only, with tags of at least 128 bits.
MAC = ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "umac-128-etm@openssh.com")
# zlib lets one unauthenticated packet inflate a thousandfold on the shared event loop.
COMPRESSION = ("none",)
# Signatures accepted from admin keys: no SHA-1 (ssh-rsa, ssh-dss).
SIGNATURES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
)


def _available(wanted: tuple[str, ...], available: list[bytes]) -> list[str]:
    names = {alg.decode("ascii") for alg in available}
    return [alg for alg in wanted if alg in names]


def kex_algs() -> list[str]:
    """The key exchanges above that this asyncssh build has (sntrup needs liboqs)."""
    return _available(_KEX, get_kex_algs())


def listen_options() -> dict[str, list[str]]:
    """`asyncssh.listen()` keyword arguments naming every algorithm list."""
    return {
        "kex_algs": kex_algs(),
        "encryption_algs": list(ENCRYPTION),
        "mac_algs": list(MAC),
        "compression_algs": list(COMPRESSION),
        "signature_algs": _available(SIGNATURES, get_public_key_algs()),
    }
