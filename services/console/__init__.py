"""What the owner's console reads: receivables, what needs attention, the next run, clients.

Every list is paged, sorted and filtered in SQL; each function returns plain dataclasses.
The console's door (services/doors/admin.py) is the only caller.
"""
