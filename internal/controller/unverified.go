package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// Signature verification in Events and status.
const (
	// WarningUnverifiedImages is the reason of the Warning Event on an
	// Application whose newest tags failed signature verification (an
	// older verified tag was chosen, or none verified).
	WarningUnverifiedImages = "UnverifiedImages"
	// ConditionImagesVerified is the ImageUpdater condition that reports
	// signature verification: True when every verified image's newest
	// candidate verified, False (reason UnverifiedTags) when newer tags
	// were passed over; absent when no image asks for verification.
	ConditionImagesVerified = "ImagesVerified"
	// ReasonAllVerified and ReasonUnverifiedTags are its reasons.
	ReasonAllVerified    = "AllVerified"
	ReasonUnverifiedTags = "UnverifiedTags"
	// unverifiedRepeat is how long an unchanged warning waits before its
	// Event is recorded again.
	unverifiedRepeat = time.Hour
	// maxUnverifiedTags bounds the tags named per image.
	maxUnverifiedTags = 3
)

// unverifiedNote is one image whose newer tags failed verification.
type unverifiedNote struct {
	app    target.AppRef
	text   string
	chosen bool // an older verified tag was chosen
}

// unverifiedNotes lists, in decision order, the images whose candidates
// above the chosen tag (or all of them) failed signature verification, and
// counts the images verification applied to.
func unverifiedNotes(ds []updater.Decision) (notes []unverifiedNote, verifying int) {
	for _, d := range ds {
		if d.Target.Policy.Verify == nil {
			continue
		}
		verifying++
		var tags []string
		n := 0
		for _, v := range d.Verdicts {
			why, ok := strings.CutPrefix(v.Signature, "not verified: ")
			if !ok {
				continue
			}
			if n++; n <= maxUnverifiedTags {
				tags = append(tags, v.Tag+" ("+why+")")
			}
		}
		if n == 0 {
			continue
		}
		list := strings.Join(tags, ", ")
		if n > len(tags) {
			list += fmt.Sprintf(" and %d more", n-len(tags))
		}
		img := d.Target.Image.Alias + "=" + d.Target.Image.Name
		note := unverifiedNote{app: d.Target.App, chosen: d.NewTag != ""}
		if note.chosen {
			note.text = fmt.Sprintf("image %s: newer tags not verified: %s; newest verified tag is %s", img, list, d.NewTag)
		} else {
			note.text = fmt.Sprintf("image %s: no tag verified (%s); not updated", img, list)
		}
		notes = append(notes, note)
	}
	return notes, verifying
}

// warnMemo remembers the last unverified-tags warning per application.
type warnMemo struct {
	mu   sync.Mutex
	last map[target.AppRef]warnSeen
}

type warnSeen struct {
	msg string
	at  time.Time
}

// due reports whether msg should be recorded for app now: it is new, it
// changed, or it was last recorded unverifiedRepeat ago.
func (m *warnMemo) due(app target.AppRef, msg string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[target.AppRef]warnSeen{}
	}
	if s, ok := m.last[app]; ok && s.msg == msg && now.Sub(s.at) < unverifiedRepeat {
		return false
	}
	m.last[app] = warnSeen{msg: msg, at: now}
	return true
}

// forget drops applications whose images all verify again, so a later
// failure is reported at once.
func (m *warnMemo) forget(keep map[target.AppRef]bool, planned map[target.AppRef]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for app := range m.last {
		if planned[app] && !keep[app] {
			delete(m.last, app)
		}
	}
}

// warnUnverified logs, for every application whose newer tags failed
// signature verification, which tags and why, and records a Warning Event
// (reason UnverifiedImages) when that changed or an hour passed.
func (e *Engine) warnUnverified(ctx context.Context, ds []updater.Decision, apps map[target.AppRef]*argocd.Application) {
	notes, _ := unverifiedNotes(ds)
	byApp := map[target.AppRef][]string{}
	for _, n := range notes {
		byApp[n.app] = append(byApp[n.app], n.text)
	}
	planned := map[target.AppRef]bool{}
	for _, d := range ds {
		planned[d.Target.App] = true
	}
	keep := map[target.AppRef]bool{}
	refs := make([]target.AppRef, 0, len(byApp))
	for ref := range byApp {
		refs = append(refs, ref)
		keep[ref] = true
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	e.unverified.forget(keep, planned)
	for _, ref := range refs {
		msg := "Signature verification: " + strings.Join(byApp[ref], "; ")
		if len(msg) > maxEventNote {
			msg = strings.ToValidUTF8(msg[:maxEventNote-3], "") + "..."
		}
		e.Logger.WarnContext(ctx, "newer tags failed signature verification", "application", ref.String(), "detail", msg)
		if e.Warnings != nil && apps[ref] != nil && e.unverified.due(ref, msg, e.Now()) {
			e.Warnings(apps[ref], WarningUnverifiedImages, msg)
		}
	}
}

// unverifiedSummary is the sentence the Ready condition gains when
// verification passed over newer tags ("" otherwise).
func unverifiedSummary(o Outcome) string {
	notes, _ := unverifiedNotes(o.Decisions)
	if len(notes) == 0 {
		return ""
	}
	return fmt.Sprintf(" %d image(s) kept from newer tags by signature verification (see condition %s).", len(notes), ConditionImagesVerified)
}

// setVerifiedCondition sets or removes the ImagesVerified condition.
func setVerifiedCondition(st *v1alpha1.ImageUpdaterStatus, gen int64, o Outcome) {
	notes, verifying := unverifiedNotes(o.Decisions)
	if verifying == 0 {
		apimeta.RemoveStatusCondition(&st.Conditions, ConditionImagesVerified)
		return
	}
	set := conditionSetter(st, gen)
	if len(notes) == 0 {
		set(ConditionImagesVerified, metav1.ConditionTrue, ReasonAllVerified,
			fmt.Sprintf("%d image(s) checked with signature verification; no newer tag failed it.", verifying))
		return
	}
	texts := make([]string, len(notes))
	for i, n := range notes {
		texts[i] = "application " + n.app.String() + " " + n.text
	}
	set(ConditionImagesVerified, metav1.ConditionFalse, ReasonUnverifiedTags,
		fmt.Sprintf("%d of %d verified image(s) have newer tags that failed signature verification: %s", len(notes), verifying, strings.Join(texts, "; ")))
}
