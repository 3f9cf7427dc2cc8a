#pragma once
// The little XML the AWS APIs answer with (S3 errors and listings, STS credentials): flat documents
// whose elements carry no attributes and never nest inside one of their own name. No parser needed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc {

// The text between the first <tag> and its </tag>, with the five predefined XML entities decoded;
// nullopt when the element is absent.
std::optional<std::string> xml_element_text(std::string_view xml, std::string_view tag);

// The raw (entity-encoded) content of each <tag>...</tag>, in order: S3's repeated <Contents>.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag);

}  // namespace mc
