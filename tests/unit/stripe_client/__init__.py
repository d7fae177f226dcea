"""Tests of services.stripe_client: the lazy client, its rate limit, the sandbox."""
