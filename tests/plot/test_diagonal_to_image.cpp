// Tests for diagonal_to_image: element c*H*W + row*W + col lands at (row, col) of channel c.
#include "plot/heatmap.hpp"

#include <stdexcept>

#include "test_util.hpp"

TEST_CASE("diagonal_to_image puts a planted value at (row, col) of its channel") {
  constexpr std::size_t kC = 3, kH = 4, kW = 5;  // H != W catches a transposed reshape
  arma::vec diag(kC * kH * kW, arma::fill::zeros);
  diag(1 * kH * kW + 2 * kW + 3) = 7.0;  // channel 1, row 2, col 3 -> index 33
  diag(2 * kH * kW + 2 * kW + 3) = 5.0;  // channel 2, same pixel   -> index 53
  diag(0 * kH * kW + 0 * kW + 4) = 1.5;  // channel 0, row 0, col 4 -> index 4

  const arma::mat ch1 = vclab::diagonal_to_image(diag, kC, kH, kW, 1);
  REQUIRE(ch1.n_rows == kH);
  REQUIRE(ch1.n_cols == kW);
  CHECK(ch1(2, 3) == 7.0);
  CHECK(arma::accu(ch1) == 7.0);  // nothing else in channel 1

  const arma::mat ch0 = vclab::diagonal_to_image(diag, kC, kH, kW, 0);
  CHECK(ch0(0, 4) == 1.5);
  CHECK(ch0(2, 3) == 0.0);

  const arma::mat sum = vclab::diagonal_to_image(diag, kC, kH, kW, -1);
  CHECK(sum(2, 3) == 12.0);  // 7 + 5
  CHECK(sum(0, 4) == 1.5);
  CHECK(arma::accu(sum) == 13.5);
}

TEST_CASE("diagonal_to_image follows the CHW layout for every element") {
  constexpr std::size_t kC = 2, kH = 3, kW = 4;
  const arma::vec diag = arma::regspace(0.0, static_cast<double>(kC * kH * kW - 1));  // diag(i) = i
  for (std::size_t c = 0; c < kC; ++c) {
    const arma::mat image = vclab::diagonal_to_image(diag, kC, kH, kW, static_cast<int>(c));
    for (std::size_t r = 0; r < kH; ++r) {
      for (std::size_t k = 0; k < kW; ++k) {
        CHECK(image(r, k) == static_cast<double>(c * kH * kW + r * kW + k));
      }
    }
  }
  // Sum over channels: i + (i + H*W) for the pixel with in-plane index i.
  const arma::mat sum = vclab::diagonal_to_image(diag, kC, kH, kW, -1);
  CHECK(sum(1, 2) == static_cast<double>(2 * (1 * kW + 2) + kH * kW));
  // One channel: the plain image.
  const arma::mat gray = vclab::diagonal_to_image(arma::regspace(0.0, 5.0), 1, 2, 3, -1);
  CHECK(gray(1, 0) == 3.0);
}

TEST_CASE("diagonal_to_image rejects sizes and channels that do not fit") {
  const arma::vec diag(12, arma::fill::ones);
  CHECK_THROWS_AS(vclab::diagonal_to_image(diag, 3, 2, 3, 0), std::invalid_argument);  // 18 != 12
  CHECK_THROWS_AS(vclab::diagonal_to_image(diag, 2, 2, 3, 2), std::invalid_argument);  // channel 2
  CHECK_THROWS_AS(vclab::diagonal_to_image(diag, 2, 2, 3, -2), std::invalid_argument);
  CHECK_THROWS_AS(vclab::diagonal_to_image(diag, 0, 2, 3, -1), std::invalid_argument);
  CHECK_NOTHROW(vclab::diagonal_to_image(diag, 2, 2, 3, -1));
}
