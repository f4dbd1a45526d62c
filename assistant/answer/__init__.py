"""Answer: (question, history) in, a cited `Answer` out."""
