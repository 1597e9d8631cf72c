"""Test oracles: expected values that do not come from the code under test.

Each module holds literal known-answer vectors for one rule, with where each answer comes from
(the law, the State Council's holiday notice, a sum worked out by hand in a comment). Tests
import these values and compare the code's answers with them; nothing here imports sgz code.
A test that computes its expectation with the function it tests proves nothing.
"""
