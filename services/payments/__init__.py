"""Payments: paying exactly once, the attempt ledger, settling outcomes, cards, refunds, receipts."""
