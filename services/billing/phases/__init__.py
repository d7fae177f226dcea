"""The phases of one `paydesk run` pass, each with plan() (the dry run) and run()."""
