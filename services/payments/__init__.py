"""Payments: paying exactly once, the ledger, settling, declines, cards, refunds, receipts."""
