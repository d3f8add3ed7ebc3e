package ui

// HoldProposals takes every slot of s's new tenant checks, as that many
// running checks would; the returned func gives them back.
func HoldProposals(s *Server) (release func()) {
	for range cap(s.proposals) {
		s.proposals <- struct{}{}
	}
	return func() {
		for range cap(s.proposals) {
			<-s.proposals
		}
	}
}
