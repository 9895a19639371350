#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::intake {

// One student of a class download.
struct Student
{
  std::string id;               // Moodle's participant id, or the folder name outside Moodle
  std::string full_name;        // as Moodle wrote it ("Participant 42" with blind marking)
  std::filesystem::path folder; // their file submission (or online text when that is all)
};

// Reads a Moodle folder name: "<Full name>_<id>_assignsubmission_file_",
// "..._assignsubmission_onlinetext_", "Participant_<id>_assignsubmission_file_". Returns
// false when the name is not Moodle's.
bool parse_moodle_folder(const std::string& name, Student& out, bool& is_file_submission);

// The students of a class: a Moodle "Download all submissions" zip (unpacked into
// `scratch`) or a folder of student folders. Folders of one participant are merged, the file
// submission preferred. Sorted by id. Throws Error when the input is neither, or unreadable.
std::vector<Student> split_class(const std::filesystem::path& input, const std::filesystem::path& scratch);

} // namespace kmgrade::intake
