"""Programme totals, early help indicators, the forecast and the monthly report."""
