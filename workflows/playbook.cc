#include "workflows/playbook.h"

namespace tenure::workflows {

const char* InputTypeName(InputType t) {
  switch (t) {
    case InputType::kString: return "string";
    case InputType::kEmail: return "email";
    case InputType::kDate: return "date";
    case InputType::kDateTime: return "datetime";
    case InputType::kInt: return "int";
    case InputType::kBool: return "bool";
    case InputType::kEnum: return "enum";
    case InputType::kList: return "list";
    case InputType::kDuration: return "duration";
    case InputType::kTimeZone: return "time_zone";
    case InputType::kMap: return "map";
  }
  return "?";
}

void Playbook::IndexTasks() {
  task_index_.clear();
  for (std::size_t i = 0; i < tasks.size(); ++i) task_index_.emplace(tasks[i].id, i);
}

const TaskSpec* Playbook::FindTask(std::string_view id) const {
  if (!task_index_.empty() && task_index_.size() == tasks.size()) {
    auto it = task_index_.find(std::string(id));
    return it == task_index_.end() ? nullptr : &tasks[it->second];
  }
  for (const TaskSpec& t : tasks) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const ConnectionSpec* Playbook::FindConnection(std::string_view n) const {
  for (const ConnectionSpec& c : connections) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const InputSpec* Playbook::FindInput(std::string_view n) const {
  for (const InputSpec& i : inputs) {
    if (i.name == n) return &i;
  }
  return nullptr;
}

const VarSpec* Playbook::FindVar(std::string_view n) const {
  for (const VarSpec& v : vars) {
    if (v.name == n) return &v;
  }
  return nullptr;
}

std::string Playbook::Prefix(int include) const {
  return include < 0 ? std::string() : includes[static_cast<std::size_t>(include)].name;
}

}  // namespace tenure::workflows
