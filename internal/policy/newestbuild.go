package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// metadataConcurrency bounds concurrent Metadata.Created calls per Choose.
const metadataConcurrency = 8

// newestBuildStrategy picks the tag whose image was created last.
type newestBuildStrategy struct{}

func (newestBuildStrategy) name() string        { return StrategyNewestBuild }
func (newestBuildStrategy) needsMetadata() bool { return true }

// choose reads every candidate's creation time; one failure fails the
// choice, since an incomplete view must never lead to an update. Ties go to
// the lexically last tag.
func (newestBuildStrategy) choose(ctx context.Context, in chooseInput) (outcome, error) {
	if len(in.candidates) == 0 {
		return outcome{}, nil
	}
	if in.md == nil {
		return outcome{}, fmt.Errorf("newest-build strategy: no metadata source")
	}
	infos, err := fetchCreated(ctx, in.candidates, in.md, in.platforms)
	if err != nil {
		return outcome{}, err
	}
	win := -1
	for i, c := range in.candidates {
		if !c.Eligible {
			continue // no image for the wanted platforms
		}
		if win < 0 || newerBuild(infos[i], c.Tag, infos[win], in.candidates[win].Tag) {
			win = i
		}
	}
	if win < 0 {
		return outcome{}, nil
	}
	winner, winInfo := in.candidates[win], infos[win]
	for i, c := range in.candidates {
		if i != win && c.Eligible {
			c.Reason = buildLossReason(infos[i].Created, winner.Tag, winInfo.Created)
		}
	}
	return outcome{winner: winner, digest: winInfo.Digest}, nil
}

// fetchCreated calls md.Created for every candidate with bounded
// concurrency; results are in candidate order.
func fetchCreated(ctx context.Context, cands []*Verdict, md Metadata, platforms []Platform) ([]ImageInfo, error) {
	infos := make([]ImageInfo, len(cands))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metadataConcurrency)
	for i, c := range cands {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			info, err := md.Created(gctx, c.Tag, platforms)
			if errors.Is(err, ErrNoMatchingPlatform) {
				c.Eligible, c.Reason = false, platformReason(err)
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading creation time of tag %q: %w", c.Tag, err)
			}
			infos[i] = info
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The loop may have stopped early without any goroutine failing.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading creation times: %w", err)
	}
	return infos, nil
}

func newerBuild(a ImageInfo, atag string, b ImageInfo, btag string) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	return atag > btag
}

func buildLossReason(created time.Time, winTag string, winCreated time.Time) string {
	if created.Equal(winCreated) {
		return fmt.Sprintf("created at the same time as %s, which sorts later", winTag)
	}
	return fmt.Sprintf("created %s, older than %s's %s", formatTime(created), winTag, formatTime(winCreated))
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (newestBuildStrategy) isNewer(string, string) (bool, error) {
	return false, notComparable(StrategyNewestBuild)
}
