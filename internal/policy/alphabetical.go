package policy

import "context"

// alphabeticalStrategy picks the lexically last tag (byte order).
type alphabeticalStrategy struct{}

func (alphabeticalStrategy) name() string        { return StrategyAlphabetical }
func (alphabeticalStrategy) needsMetadata() bool { return false }

func (alphabeticalStrategy) choose(_ context.Context, in chooseInput) (outcome, error) {
	var winner *Verdict
	for _, c := range in.candidates {
		if winner == nil || c.Tag > winner.Tag {
			winner = c
		}
	}
	explainLosers(in.candidates, winner, func(*Verdict) string {
		return "sorts before " + winner.Tag
	})
	return outcome{winner: winner}, nil
}

func (alphabeticalStrategy) isNewer(candidate, current string) (bool, error) {
	return candidate > current, nil
}
