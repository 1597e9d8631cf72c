"""Personal data every service keeps alike: resident ID numbers (rule R2) and phones, checked,
masked, and sealed at rest. See docs/privacy.md for who sees what."""
