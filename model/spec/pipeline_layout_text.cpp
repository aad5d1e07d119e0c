#include "model/spec/pipeline_layout_text.hpp"

#include <algorithm>
#include <cctype>

namespace trainplan {

namespace {

// Megatron unrolls "(...)*n" first, then "x*n" (two re.sub passes); a '*' must be followed by a
// count. Returns the unrolled text or nullopt with `error`.
std::optional<std::string> unroll(std::string_view text, std::string& error) {
  std::string flat;
  size_t i = 0;
  // The digits after '*' at j (their value in n, held at the bound + 1 once above it).
  auto count_at = [&](size_t j, long long& n) {
    size_t k = j;
    n = 0;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
      n = std::min(n * 10 + (text[k] - '0'), kMaxLayoutChunks * 64 + 1);
      ++k;
    }
    return k == j ? std::string_view::npos : k;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == ',') {
      ++i;
      continue;
    }
    if (c == '(') {
      const size_t close = text.find(')', i);
      if (close == std::string_view::npos || text.substr(i + 1, close - i - 1).find('(') != std::string_view::npos) {
        error = "an unclosed or nested \"(\" at character " + std::to_string(i + 1) + " (groups \"(...)*n\" do not nest)";
        return std::nullopt;
      }
      long long n = 0;
      const size_t end = close + 1 < text.size() && text[close + 1] == '*' ? count_at(close + 2, n) : std::string_view::npos;
      if (end == std::string_view::npos) {
        error = "expected \"*\" and a count after the group closed at character " + std::to_string(close + 1);
        return std::nullopt;
      }
      std::string body;
      for (char b : text.substr(i + 1, close - i - 1))
        if (b != ',') body += b;
      if (body.size() * static_cast<size_t>(n) + flat.size() > static_cast<size_t>(kMaxLayoutChunks) * 64) {
        error = "the layout unrolls to more than " + std::to_string(kMaxLayoutChunks) + " chunks";
        return std::nullopt;
      }
      for (long long r = 0; r < n; ++r) flat += body;
      i = end;
      continue;
    }
    flat += c;
    ++i;
  }
  // Single-character repeats "x*n", now that groups are unrolled.
  std::string out;
  for (size_t k = 0; k < flat.size(); ++k) {
    if (flat[k] != '*') {
      out += flat[k];
      continue;
    }
    size_t j = k + 1;
    long long n = 0;
    while (j < flat.size() && std::isdigit(static_cast<unsigned char>(flat[j])))
      n = std::min(n * 10 + (flat[j++] - '0'), kMaxLayoutChunks * 64 + 1);
    if (j == k + 1 || out.empty() || out.back() == '|') {
      error = "expected a layer character before \"*\" and a count after it";
      return std::nullopt;
    }
    if (n > kMaxLayoutChunks * 64 || out.size() + static_cast<size_t>(n) > static_cast<size_t>(kMaxLayoutChunks) * 64) {
      error = "the layout unrolls to more than " + std::to_string(kMaxLayoutChunks) + " chunks";
      return std::nullopt;
    }
    const char x = out.back();
    out.pop_back();
    out.append(static_cast<size_t>(n), x);
    k = j - 1;
  }
  return out;
}

}  // namespace

std::optional<LayoutText> parse_layout_text(std::string_view text, std::string& error) {
  std::optional<std::string> flat = unroll(text, error);
  if (!flat) return std::nullopt;
  std::vector<LayoutChunkText> chunks(1);
  for (char c : *flat) {
    LayoutChunkText& ch = chunks.back();
    switch (c) {
      case '|':
        if (static_cast<long long>(chunks.size()) >= kMaxLayoutChunks) {
          error = "the layout has more than " + std::to_string(kMaxLayoutChunks) + " chunks";
          return std::nullopt;
        }
        chunks.emplace_back();
        break;
      case 't': ++ch.decoder; break;
      case 'E': ++ch.embedding; break;
      case 'L': ++ch.loss; break;
      case 'm': ++ch.mtp; break;
      default:
        error = std::string("invalid layer character \"") + c +
                "\"; known: \"E\" (embedding), \"t\" (transformer layer), \"m\" (MTP), \"L\" (loss)";
        return std::nullopt;
    }
  }
  return LayoutText{std::move(*flat), std::move(chunks)};
}

}  // namespace trainplan
