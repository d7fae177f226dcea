"""The business: money, accounts, invoices, payments, recurring billing, mail. No Textual here."""
