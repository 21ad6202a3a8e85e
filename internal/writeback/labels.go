package writeback

import (
	"context"
	"fmt"
	"text/template"
	"text/template/parse"

	"github.com/imagepilot/imagepilot/internal/updater"
)

// UsesLabels reports whether a commit template may read .Labels: it names
// the field, or prints a whole value (dot, a variable, .AppChanges) whose
// text would include them. Only then are the new images' labels fetched.
func UsesLabels(t *template.Template) bool {
	if t == nil {
		return false
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && nodeUsesLabels(tt.Tree.Root) {
			return true
		}
	}
	return false
}

func nodeUsesLabels(n parse.Node) bool {
	switch n := n.(type) {
	case nil:
		return false
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if nodeUsesLabels(c) {
				return true
			}
		}
	case *parse.ActionNode:
		return printsWhole(n.Pipe) || pipeUsesLabels(n.Pipe)
	case *parse.IfNode:
		return branchUsesLabels(&n.BranchNode)
	case *parse.RangeNode:
		return branchUsesLabels(&n.BranchNode)
	case *parse.WithNode:
		return branchUsesLabels(&n.BranchNode)
	case *parse.TemplateNode:
		return pipeUsesLabels(n.Pipe)
	case *parse.PipeNode:
		return pipeUsesLabels(n)
	case *parse.FieldNode:
		return hasLabels(n.Ident)
	case *parse.ChainNode:
		return hasLabels(n.Field) || nodeUsesLabels(n.Node)
	case *parse.VariableNode:
		return hasLabels(n.Ident)
	case *parse.CommandNode:
		for _, a := range n.Args {
			if nodeUsesLabels(a) {
				return true
			}
		}
	}
	return false
}

func branchUsesLabels(b *parse.BranchNode) bool {
	return pipeUsesLabels(b.Pipe) || nodeUsesLabels(b.List) || (b.ElseList != nil && nodeUsesLabels(b.ElseList))
}

func pipeUsesLabels(p *parse.PipeNode) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Cmds {
		if nodeUsesLabels(c) {
			return true
		}
	}
	return false
}

// printsWhole reports whether an action may print a value that contains
// changes as a whole: dot, a variable, or .AppChanges as an argument of any
// of its commands ({{ . }}, {{ printf "%v" $c }}, {{ index .AppChanges 0 }}).
// It errs towards yes: a needless fetch costs a request, a missed one
// prints empty labels.
func printsWhole(p *parse.PipeNode) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			if argIsWhole(a) {
				return true
			}
		}
	}
	return false
}

func argIsWhole(n parse.Node) bool {
	switch a := n.(type) {
	case *parse.DotNode:
		return true
	case *parse.VariableNode:
		return len(a.Ident) == 1 || a.Ident[len(a.Ident)-1] == "AppChanges"
	case *parse.FieldNode:
		return a.Ident[len(a.Ident)-1] == "AppChanges"
	case *parse.ChainNode:
		return (len(a.Field) > 0 && a.Field[len(a.Field)-1] == "AppChanges") || argIsWhole(a.Node)
	case *parse.PipeNode:
		return printsWhole(a)
	}
	return false
}

func hasLabels(idents []string) bool {
	for _, id := range idents {
		if id == "Labels" {
			return true
		}
	}
	return false
}

// withLabels fills each change's Labels with its decision's new image
// labels. A label lookup that fails fails the commit: a message the
// template cannot fill truthfully is not written.
func withLabels(ctx context.Context, changes []Change, decisions []updater.Decision) ([]Change, error) {
	for i, d := range decisions {
		if d.NewLabels == nil {
			continue
		}
		labels, err := d.NewLabels.Labels(ctx)
		if err != nil {
			return nil, fmt.Errorf("commit message template uses .Labels: application %s image %s: %w", d.Target.App, d.Target.Image.Key(), err)
		}
		changes[i].Labels = labels
	}
	return changes, nil
}
