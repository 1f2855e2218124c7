"""Request and response models of billing's routes: invoices and credit notes, payments,
refunds and balances, and the field types they share."""
