"""CSV exports of invoices, payments and clients (and any kind registered in `kinds.KINDS`),
streamed a page at a time: see `csv_file` for the file's rules."""
