"""Tests of services.payments: paying, the ledger, settling, cards, refunds, receipts."""
