"""The Stripe client: built lazily, rate-limited, pointed at the sandbox when no key is set."""
