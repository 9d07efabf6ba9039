"""Plan content: keyword clustering (SERP overlap, lexical, semantic), intent, opportunity, gaps."""
