//! Attacks on access control: a gestionnaire reaching past their establishment.
