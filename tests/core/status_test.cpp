#include "usbpo/base/status.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace usbpo {
namespace {

Status fails() { return Status::error(StatusCode::kDimensionMismatch, "got %d, expected %d", 3, 4); }
Status propagates(bool* reached_end) {
  USBPO_RETURN_IF_ERROR(fails());
  *reached_end = true;
  return Status::ok();
}

TEST(Status, OkByDefaultWithEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_STREQ(s.message(), "");
}

TEST(Status, FormatsMessagesAndNamesCodes) {
  Status s = fails();
  EXPECT_FALSE(s.is_ok());
  EXPECT_STREQ(s.message(), "got 3, expected 4");
  EXPECT_STREQ(status_code_name(StatusCode::kDimensionMismatch), "dimension mismatch");
  EXPECT_STREQ(status_code_name(StatusCode::kOutOfMemory), "out of memory");
}

TEST(Status, TruncatesLongMessagesSafely) {
  const std::string long_text(1000, 'x');
  Status s = Status::error(StatusCode::kInvalidArgument, "%s", long_text.c_str());
  EXPECT_EQ(std::strlen(s.message()), static_cast<std::size_t>(Status::kMaxMessage - 1));
}

TEST(Status, ReturnIfErrorPropagatesTheFirstFailure) {
  bool reached_end = false;
  Status s = propagates(&reached_end);
  EXPECT_EQ(s.code(), StatusCode::kDimensionMismatch);
  EXPECT_FALSE(reached_end);
}

}  // namespace
}  // namespace usbpo
