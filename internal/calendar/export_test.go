package calendar

// ExpireCache lets tests act as the 10 s refresh of another process.
func (s *Service) ExpireCache() { s.invalidate() }
