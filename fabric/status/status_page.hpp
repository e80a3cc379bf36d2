#pragma once
// The status page, status_page.html, as compiled into the daemon: one self-contained HTML file
// (style and script inline, no external assets) that reads /status.json once a second.

#include <string_view>

namespace constellation::fabric {

extern const std::string_view status_page_html;

}  // namespace constellation::fabric
