"""Human review: staff and their roles, cases (classifier escalations, actions awaiting
approval, misuse reports, appeals), queues, claims and decisions.

The rules (roles, priority, who may take which case, what a decision does) are pure modules
with no I/O; the stores around them talk to the database through SQLAlchemy, and act on the
enforcement ledger only through its public methods.
"""
