// Tests for the gnuplot text helpers: enhanced-text escaping, quoting and data numbers.
#include "plot/gnuplot.hpp"
#include "plot/scatter.hpp"

#include <cmath>

#include "test_util.hpp"

TEST_CASE("gnuplot_text escapes enhanced-text markup and quotes") {
  CHECK(vclab::escape_enhanced("a_b^c") == "a\\_b\\^c");
  CHECK(vclab::escape_enhanced("{x}@&~\\") == "\\{x\\}\\@\\&\\~\\\\");
  // UTF-8 passes through byte for byte.
  CHECK(vclab::escape_enhanced("AGOP ρ = 0.71, Δ γ") == "AGOP ρ = 0.71, Δ γ");
  CHECK(vclab::gnuplot_text("it's W_0") == "'it''s W\\_0'");
  CHECK(vclab::gnuplot_text("say \"hi\"") == "'say \"hi\"'");
  CHECK(vclab::gnuplot_text("two\nlines") == "'two'.\"\\n\".'lines'");
}

TEST_CASE("gnuplot_number round-trips and spells non-finite values NaN") {
  CHECK(vclab::gnuplot_number(0.1) == "0.1");
  CHECK(vclab::gnuplot_number(-2.5e-300) == "-2.5e-300");
  CHECK(std::stod(vclab::gnuplot_number(1.0 / 3.0)) == 1.0 / 3.0);
  CHECK(vclab::gnuplot_number(arma::datum::nan) == "NaN");
  CHECK(vclab::gnuplot_number(arma::datum::inf) == "NaN");
  CHECK(vclab::gnuplot_number(-arma::datum::inf) == "NaN");
}

TEST_CASE("png_pixel_size is the physical size at 300 dpi") {
  const auto [w, h] = vclab::png_pixel_size({vclab::FigureWidth::column, 2.4});
  CHECK(w == 990);  // 3.3 in x 300
  CHECK(h == 720);  // 2.4 in x 300
  const auto [wf, hf] = vclab::png_pixel_size({vclab::FigureWidth::full, 2.0});
  CHECK(wf == 2070);  // 6.9 in x 300
  CHECK(hf == 600);
}

TEST_CASE("subsample_indices is deterministic, ordered and evenly strided") {
  const arma::uvec all = vclab::subsample_indices(5, 10);
  CHECK(all.n_elem == 5);
  CHECK(all(4) == 4);
  // floor(i*10/4) for i = 0..3 -> 0, 2, 5, 7
  const arma::uvec some = vclab::subsample_indices(10, 4);
  REQUIRE(some.n_elem == 4);
  CHECK(some(0) == 0);
  CHECK(some(1) == 2);
  CHECK(some(2) == 5);
  CHECK(some(3) == 7);
  CHECK(arma::all(vclab::subsample_indices(1000, 7) == vclab::subsample_indices(1000, 7)));
  CHECK(vclab::subsample_indices(0, 3).n_elem == 0);
  CHECK_THROWS_AS(vclab::subsample_indices(3, 0), std::invalid_argument);
}
