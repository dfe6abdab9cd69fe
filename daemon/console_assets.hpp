// The console's page, script and style sheet (web/console/), built into the binary: nothing
// is loaded from elsewhere (tools/embed_assets.cmake writes the source at build time).
#pragma once
#include <span>
#include <string_view>

namespace port53::daemon {

struct ConsoleAsset {
    std::string_view path;  // "/", "/app.js", "/app.css"
    std::string_view type;  // its Content-Type
    std::string_view body;
};
std::span<const ConsoleAsset> console_assets();

}  // namespace port53::daemon
