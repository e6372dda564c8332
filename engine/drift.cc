#include "engine/drift.h"

#include <algorithm>
#include <map>
#include <set>

namespace tenure::engine {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const char* DriftKindName(DriftKind k) {
  switch (k) {
    case DriftKind::kLeaver:
      return "leaver";
    case DriftKind::kOrphan:
      return "orphan";
    case DriftKind::kMissing:
      return "missing";
    case DriftKind::kExcess:
      return "excess";
  }
  return "unknown";
}

std::vector<Finding> FindDrift(const std::vector<HrPerson>& people, const std::vector<std::string>& connections,
                               const std::vector<Account>& accounts, const Grants* grants) {
  std::map<std::string, const HrPerson*> by_key;
  for (const HrPerson& p : people) by_key.emplace(Lower(p.key), &p);
  std::set<std::pair<std::string, std::string>> has_account;  // (connection, person key)
  std::vector<Finding> out;
  for (const Account& a : accounts) {
    std::vector<std::string> names = {a.user_name, a.external_id};
    names.insert(names.end(), a.emails.begin(), a.emails.end());
    const HrPerson* match = nullptr;
    for (const std::string& n : names) {
      if (n.empty()) continue;
      auto it = by_key.find(Lower(n));
      if (it != by_key.end()) {
        match = it->second;
        break;
      }
    }
    Finding f{DriftKind::kOrphan, a.connection, "", "", 0, a.id, a.user_name, a.active, a.groups, ""};
    if (match == nullptr) {
      out.push_back(std::move(f));
      continue;
    }
    has_account.emplace(a.connection, Lower(match->key));
    if (a.active && !match->active) {
      f.kind = DriftKind::kLeaver;
      f.person = match->key;
      f.status = match->status;
      f.row = match->row;
      out.push_back(std::move(f));
    } else if (grants != nullptr && a.active && match->active) {
      // Groups outside what the role grants (and what everyone may hold).
      const auto role = grants->groups.find(Lower(match->role));
      const auto everyone = grants->groups.find("*");
      std::vector<std::string> excess;
      for (const std::string& g : a.groups) {
        const std::string lg = Lower(g);
        const bool granted = (role != grants->groups.end() && role->second.count(lg) != 0) ||
                             (everyone != grants->groups.end() && everyone->second.count(lg) != 0);
        if (!granted) excess.push_back(g);
      }
      if (!excess.empty()) {
        f.kind = DriftKind::kExcess;
        f.person = match->key;
        f.status = match->status;
        f.row = match->row;
        f.groups = std::move(excess);
        f.role = match->role;
        out.push_back(std::move(f));
      }
    }
  }
  for (const std::string& c : connections) {
    for (const HrPerson& p : people) {
      if (!p.active || has_account.count({c, Lower(p.key)}) != 0) continue;
      out.push_back(Finding{DriftKind::kMissing, c, p.key, p.status, p.row, "", "", false, {}, ""});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& x, const Finding& y) {
    if (x.kind != y.kind) return x.kind < y.kind;
    if (x.connection != y.connection) return x.connection < y.connection;
    return (x.person.empty() ? x.user_name : x.person) < (y.person.empty() ? y.user_name : y.person);
  });
  return out;
}

}  // namespace tenure::engine
