"""The plumbing every sgz service stands on, written once: config, errors, identity, server, DB."""
