package app

import (
	"context"
	"time"
)

// sweepEvery is how often the casework sweeper runs: supplements that ran
// out close as 补正不来, 容缺 reminders go out.
var sweepEvery = time.Minute

// sweep runs the casework sweeper until ctx ends; a failed sweep is
// logged and tried again at the next tick (each case is its own
// transaction, so nothing is left half done).
func (a *App) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		rep, err := a.Cases.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Error("case sweep failed", "err", err)
		case rep.Unsupplemented > 0 || rep.Reminded > 0:
			a.log.Info("case sweep", "unsupplemented", rep.Unsupplemented, "reminded", rep.Reminded)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
