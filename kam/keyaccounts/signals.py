"""What the key-account department tells the rest of the system."""

from django.dispatch import Signal

#: Sent inside the transaction that changed a client's responsible manager
#: (``client``, ``manager`` — None when released — and ``user``).
responsibility_changed = Signal()
