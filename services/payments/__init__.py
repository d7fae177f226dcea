"""Payments: paying exactly once, the attempt ledger, settling, cards, refunds, receipts."""
