package tui

import (
	"context"
	"image/color"
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/keyrunbook/keyrunbook/runbook"
)

// executorFunc adapts a function to runbook.Executor.
type executorFunc func(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event

func (f executorFunc) Run(ctx context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
	return f(ctx, e, emit)
}

// drain runs an effect's command chain and returns its messages in order.
func drain(t *testing.T, cmd tea.Cmd) []effectMsg {
	t.Helper()
	var out []effectMsg
	for cmd != nil {
		msg, ok := cmd().(effectMsg)
		if !ok {
			t.Fatalf("the command chain ended without a result")
		}
		out = append(out, msg)
		if msg.final != (msg.next == nil) {
			t.Fatalf("message %d: final %v with next %v", len(out), msg.final, msg.next != nil)
		}
		cmd = msg.next
	}
	return out
}

func TestRunEffectStreamsInOrder(t *testing.T) {
	t.Parallel()
	x := executorFunc(func(_ context.Context, e runbook.Effect, emit func(runbook.Event)) runbook.Event {
		for _, r := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
			emit(runbook.SweepProgress{Region: runbook.RegionSweep{Region: r, State: runbook.RegionDone}})
		}
		emit(runbook.APICall{Service: "cloudtrail", Operation: "LookupEvents"})
		return runbook.SweepFinished{}
	})
	msgs := drain(t, runEffect(context.Background(), x, 7, runbook.SweepCloudTrail{}, nil))
	var names []string
	for _, m := range msgs {
		if m.id != 7 {
			t.Errorf("message for effect %d, want 7", m.id)
		}
		names = append(names, m.event.EventName())
	}
	want := "SweepProgress SweepProgress SweepProgress APICall SweepFinished"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("messages %s, want %s", got, want)
	}
}

func TestRunEffectSurvivesABrokenExecutor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		x    executorFunc
		want string
	}{
		{"panic", func(context.Context, runbook.Effect, func(runbook.Event)) runbook.Event { panic("nil map") }, "the executor crashed: nil map"},
		{"no result", func(context.Context, runbook.Effect, func(runbook.Event)) runbook.Event { return nil }, "returned no result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msgs := drain(t, runEffect(context.Background(), tt.x, 1, runbook.IdentifyKey{}, nil))
			f, ok := msgs[len(msgs)-1].event.(runbook.EffectFailed)
			if !ok || f.Effect != "IdentifyKey" || !strings.Contains(f.Message, tt.want) {
				t.Errorf("result %#v, want IdentifyKey failed: %s", msgs[len(msgs)-1].event, tt.want)
			}
		})
	}
}

func TestRunEffectStopsWhenTheProgramQuits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	x := executorFunc(func(ctx context.Context, _ runbook.Effect, emit func(runbook.Event)) runbook.Event {
		for i := 0; ctx.Err() == nil; i++ {
			emit(runbook.APICall{Service: "cloudtrail", Operation: "LookupEvents"})
		}
		return runbook.EffectFailed{Effect: "SweepCloudTrail", Message: ctx.Err().Error()}
	})
	first := runEffect(ctx, x, 1, runbook.SweepCloudTrail{}, nil)().(effectMsg)
	cancel()
	// Nobody reads the stream any more: the executor must still end, and
	// the chain with it, instead of blocking on a full channel.
	for cmd := first.next; cmd != nil; {
		msg := cmd()
		if msg == nil {
			break
		}
		cmd = msg.(effectMsg).next
	}
}

func TestNoColorKeepsBannersVisible(t *testing.T) {
	t.Parallel()
	if p := colorprofile.Env([]string{"NO_COLOR=1", "TERM=xterm-256color"}); p != colorprofile.Ascii {
		t.Fatalf("NO_COLOR gives profile %v, want Ascii", p)
	}
	h := newHarness(t, runbook.ModeLive)
	h.send(tea.ColorProfileMsg{Profile: colorprofile.Ascii})
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
	if _, err := w.WriteString(h.m.View().Content); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// What Bubble Tea writes under NO_COLOR: no colour (SGR 38/48), but
	// the banner still in reverse video (SGR 7) and the words on screen.
	for _, colour := range []string{"[38;", "[48;", ";38;", ";48;"} {
		if strings.Contains(out, colour) {
			t.Fatalf("colour sequence %q under NO_COLOR", colour)
		}
	}
	sgr := regexp.MustCompile(`\x1b\[([0-9;]*)mLIVE · changes are real`).FindStringSubmatch(out)
	if sgr == nil || !slices.Contains(strings.Split(sgr[1], ";"), "7") {
		t.Errorf("the LIVE banner is not in reverse video under NO_COLOR: %q", out[:min(len(out), 120)])
	}
}

func TestLightBackgroundRestyles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, runbook.ModeLive)
	h.toInvestigated()
	dark := h.m.View().Content
	h.send(tea.BackgroundColorMsg{Color: color.White})
	if h.m.sty.isDark || h.m.investigate.sty.isDark {
		t.Fatal("a white background kept the dark styles")
	}
	light := h.m.View().Content
	if light == dark {
		t.Error("the screen looks the same on a light background")
	}
	if ansi.Strip(light) != ansi.Strip(dark) {
		t.Error("restyling changed the text, not only its colours")
	}
}
