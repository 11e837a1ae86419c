package casework_test

import (
	"testing"

	"yiwang/internal/casework"
	"yiwang/internal/db/dbtest"
)

// BenchmarkLifecycle measures one submit → accept → pass → approve in
// process (no HTTP), for profiles: go test -run X -bench Lifecycle -cpuprofile cpu.out.
func BenchmarkLifecycle(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchLifecycle(b, newWorld(b, "")) })
	b.Run("postgres", func(b *testing.B) { benchLifecycle(b, newWorld(b, dbtest.PostgresSchemaDSN(b))) })
}

func benchLifecycle(b *testing.B, w *world) {
	agent := w.user("company1")
	app := w.fullApplication(agent, w.item("食品经营许可"))
	steps := []struct {
		who, action string
	}{{"window1", "accept"}, {"scjg1", "pass"}, {"scjgfz", "approve"}}
	for _, st := range steps {
		w.user(st.who)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _, err := w.Cases.Create(w.ctx, agent, app)
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range steps {
			if _, err := w.Cases.Act(w.ctx, w.user(st.who), c.No, casework.ActionInput{Action: st.action}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
