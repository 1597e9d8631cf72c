"""Accounts and login: the people who may use sgz, their role and scope, passwords and tokens.

The gateway owns them in its own database (`gateway.db`, or GATEWAY_DATABASE_URL).
"""
