"""The programme portal: a server-rendered web application over the programme store.

Providers submit monitoring returns and see only their own organisation's data; commissioners
and analysts read everything; admins manage users. Every change is audited.
"""
