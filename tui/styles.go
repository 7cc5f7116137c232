package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// styles holds every style the TUI uses, named by role. Colours adapt to
// light and dark backgrounds; Bubble Tea downsamples them to the terminal's
// profile, which removes them entirely under NO_COLOR (colorprofile.Detect).
// Nothing relies on colour alone: every state also has a word or a mark.
type styles struct {
	isDark bool

	BannerLive     lipgloss.Style
	BannerDryRun   lipgloss.Style
	BannerTraining lipgloss.Style

	Title    lipgloss.Style
	Heading  lipgloss.Style
	Muted    lipgloss.Style
	Danger   lipgloss.Style
	Warning  lipgloss.Style
	OK       lipgloss.Style
	Current  lipgloss.Style
	Selected lipgloss.Style
	Call     lipgloss.Style
	Rule     lipgloss.Style
	Dialog   lipgloss.Style

	Help help.Styles
}

func newStyles(isDark, noColor bool) styles {
	ld := lipgloss.LightDark(isDark)
	red := ld(lipgloss.Color("#B00020"), lipgloss.Color("#FF5F5F"))
	amber := ld(lipgloss.Color("#8A5A00"), lipgloss.Color("#FFD75F"))
	green := ld(lipgloss.Color("#1B7F1B"), lipgloss.Color("#87D787"))
	blue := ld(lipgloss.Color("#1F4E99"), lipgloss.Color("#87AFFF"))
	muted := ld(lipgloss.Color("#6C6C6C"), lipgloss.Color("#8A8A8A"))
	white := lipgloss.Color("#FFFFFF")
	black := lipgloss.Color("#000000")

	banner := lipgloss.NewStyle().Bold(true).Padding(0, 1)
	s := styles{
		isDark:         isDark,
		BannerLive:     banner.Foreground(white).Background(lipgloss.Color("#C00000")),
		BannerDryRun:   banner.Foreground(black).Background(lipgloss.Color("#FFD700")),
		BannerTraining: banner.Foreground(white).Background(lipgloss.Color("#5F00AF")),
		Title:          lipgloss.NewStyle().Bold(true),
		Heading:        lipgloss.NewStyle().Bold(true).Foreground(blue),
		Muted:          lipgloss.NewStyle().Foreground(muted),
		Danger:         lipgloss.NewStyle().Bold(true).Foreground(red),
		Warning:        lipgloss.NewStyle().Foreground(amber),
		OK:             lipgloss.NewStyle().Foreground(green),
		Current:        lipgloss.NewStyle().Bold(true).Foreground(blue),
		Selected:       lipgloss.NewStyle().Reverse(true),
		Call:           lipgloss.NewStyle().Foreground(amber),
		Rule:           lipgloss.NewStyle().Foreground(muted),
		Dialog:         lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(amber).Padding(0, 1),
		Help:           help.DefaultStyles(isDark),
	}
	if noColor {
		// Without colour (NO_COLOR, a dumb terminal) a banner would be plain
		// bold text; reverse video keeps it unmistakable.
		plain := banner.Reverse(true)
		s.BannerLive, s.BannerDryRun, s.BannerTraining = plain, plain, plain
	}
	return s
}

// inputStyles returns text input styles with a steady cursor: a blinking
// one redraws the screen twice a second for nothing.
func (s styles) inputStyles() textinput.Styles {
	is := textinput.DefaultStyles(s.isDark)
	is.Cursor.Blink = false
	return is
}
