"""A local HTTPS emulator of Entra ID, Microsoft Graph (Cloud PC) and Azure Resource Manager.

Run `python -m w365_sandbox --seed FILE` from the repository root; docs/sandbox.md describes the seed format,
the control API and which answers are assumed where Microsoft documents none.
"""
