#include "net/xml_text.hpp"

#include <gtest/gtest.h>

namespace mc {
namespace {

TEST(XmlElementTextTest, ExtractsAndDecodes) {
  const char* xml = "<R><Error><Code>AccessDenied</Code><Message>not &quot;allowed&quot; &amp; &lt;no&gt;</Message>"
                    "</Error></R>";
  EXPECT_EQ(xml_element_text(xml, "Code"), "AccessDenied");
  EXPECT_EQ(xml_element_text(xml, "Message"), "not \"allowed\" & <no>");
  EXPECT_EQ(xml_element_text(xml, "Missing"), std::nullopt);
  EXPECT_EQ(xml_element_text("<Code>unterminated", "Code"), std::nullopt);
}

TEST(XmlElementsTest, ReturnsEachElementsRawTextInOrder) {
  const auto contents = xml_elements("<L><C><K>a&amp;b</K></C><C><K>c</K></C><C>unterminated</L>", "C");
  ASSERT_EQ(contents.size(), 2U);
  EXPECT_EQ(contents[0], "<K>a&amp;b</K>");
  EXPECT_EQ(contents[1], "<K>c</K>");
  EXPECT_TRUE(xml_elements("<L/>", "C").empty());
}

}  // namespace
}  // namespace mc
