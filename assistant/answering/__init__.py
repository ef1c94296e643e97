"""From ranked passages to an answer: evidence, composition, abstention, chronology,
conversation and disagreement."""
