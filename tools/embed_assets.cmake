# Writes OUT: a C++ source defining port53::daemon::console_assets() with the files of
# web/console/ (DIR) as string literals. Run by the build (see CMakeLists.txt).
set(entries "")
set(defs "")
set(i 0)
# (No ';' in a spec: CMake would split it as a list.) All three are UTF-8 text.
foreach(spec "/|index.html|text/html" "/app.js|app.js|text/javascript" "/app.css|app.css|text/css")
  string(REPLACE "|" ";" parts "${spec}")
  list(GET parts 0 url)
  list(GET parts 1 file)
  list(GET parts 2 type)
  file(READ "${DIR}/${file}" body HEX)
  # Bytes as numbers: no escaping or raw-string delimiter can break.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${body}")
  string(APPEND defs "const unsigned char kAsset${i}[] = {${bytes}};\n")
  string(APPEND entries "    {\"${url}\", \"${type}; charset=utf-8\", bytes(kAsset${i}, sizeof kAsset${i})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from web/console/ by tools/embed_assets.cmake.\n"
  "#include \"daemon/console_assets.hpp\"\n\nnamespace port53::daemon {\nnamespace {\n"
  "std::string_view bytes(const unsigned char* p, std::size_t n) {\n"
  "    return {reinterpret_cast<const char*>(p), n};\n}\n"
  "${defs}"
  "const ConsoleAsset kAssets[] = {\n${entries}};\n}  // namespace\n\n"
  "std::span<const ConsoleAsset> console_assets() { return kAssets; }\n\n"
  "}  // namespace port53::daemon\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
