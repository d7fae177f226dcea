"""The small HTTP side (`paydesk serve-web`, aiohttp): hosted card and invoice pages, Stripe
webhooks, a health check. It uses services only: never Textual, never the screens."""
