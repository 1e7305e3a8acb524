#include "storage/fanout_storage.h"

#include "util/repo_problems.h"
#include "util/error.h"

namespace safekeep {

namespace {

// One writer per live member; a member whose writer fails is dropped.
class TeeWriter : public ObjectWriter {
  public:
    TeeWriter(FanoutStorage &fan, std::vector<std::pair<size_t, std::unique_ptr<ObjectWriter>>> w)
        : fan_(fan), writers_(std::move(w)) {}

    void write(const uint8_t *data, size_t len) override {
        each([&](ObjectWriter &w) { w.write(data, len); });
    }
    void finish() override {
        each([&](ObjectWriter &w) { w.finish(); });
    }
    void commit() override {
        each([&](ObjectWriter &w) { w.commit(); });
    }
    uint64_t bytes() const override {
        for (const auto &w : writers_)
            if (w.second)
                return w.second->bytes();
        return 0;
    }

  private:
    template <typename Fn> void each(Fn fn) {
        for (auto &w : writers_) {
            if (!w.second)
                continue;
            if (!fan_.live(w.first)) {
                w.second.reset();
                continue;
            }
            try {
                fn(*w.second);
            } catch (const Canceled &) {
                throw;
            } catch (const std::exception &e) {
                w.second.reset();
                fan_.drop(w.first, e.what()); // throws when no member is left
            }
        }
    }

    FanoutStorage &fan_;
    std::vector<std::pair<size_t, std::unique_ptr<ObjectWriter>>> writers_;
};

} // namespace

FanoutStorage::FanoutStorage(std::vector<Member> members) : members_(std::move(members)) {
    if (members_.empty())
        throw Error("no repository is configured");
    RepoProblems all;
    bool any_live = false;
    for (auto &m : members_) {
        if (!m.store && m.error.empty())
            m.error = "not opened";
        if (m.kind.empty() && m.store)
            m.kind = m.store->kind();
        any_live = any_live || m.error.empty();
        if (!m.error.empty())
            all.add(m.number, m.error);
    }
    if (!any_live)
        throw Error("every repository failed: " + all.text());
}

std::vector<FanoutStorage::Member> FanoutStorage::members() const {
    std::lock_guard<std::mutex> g(mu_);
    return members_;
}

bool FanoutStorage::live(size_t i) const {
    std::lock_guard<std::mutex> g(mu_);
    return members_[i].error.empty();
}

void FanoutStorage::drop(size_t i, const std::string &error) {
    RepoProblems all;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (members_[i].error.empty())
            members_[i].error = error;
        for (const auto &m : members_) {
            if (m.error.empty())
                return;
            all.add(m.number, m.error);
        }
    }
    throw Error("every repository failed: " + all.text());
}

Storage &FanoutStorage::first() {
    std::lock_guard<std::mutex> g(mu_);
    for (auto &m : members_)
        if (m.error.empty())
            return *m.store;
    throw Error("every repository failed");
}

// The first member that could be opened (live or dropped later): what the
// fan-out says about itself does not change while a backup runs.
const Storage &FanoutStorage::opened() const {
    for (const auto &m : members_)
        if (m.store)
            return *m.store;
    throw Error("no repository could be opened");
}

std::string FanoutStorage::kind() const {
    std::lock_guard<std::mutex> g(mu_);
    return opened().kind();
}

uint64_t FanoutStorage::physical_size(uint64_t logical_size) const {
    std::lock_guard<std::mutex> g(mu_);
    return opened().physical_size(logical_size);
}

std::string FanoutStorage::url(const std::string &key) const {
    std::lock_guard<std::mutex> g(mu_);
    return opened().url(key);
}

template <typename Fn> void FanoutStorage::each(Fn fn) {
    for (size_t i = 0; i < members_.size(); i++) {
        if (!live(i))
            continue;
        try {
            fn(*members_[i].store);
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            drop(i, e.what());
        }
    }
}

void FanoutStorage::write(const std::string &key, const void *data, size_t len) {
    each([&](Storage &s) { s.write(key, data, len); });
}

std::unique_ptr<ObjectWriter> FanoutStorage::create(const std::string &key) {
    std::vector<std::pair<size_t, std::unique_ptr<ObjectWriter>>> writers;
    for (size_t i = 0; i < members_.size(); i++) {
        if (!live(i))
            continue;
        try {
            writers.emplace_back(i, members_[i].store->create(key));
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            drop(i, e.what());
        }
    }
    return std::make_unique<TeeWriter>(*this, std::move(writers));
}

void FanoutStorage::sync(const std::string &prefix) {
    each([&](Storage &s) { s.sync(prefix); });
}

void FanoutStorage::remove(const std::vector<std::string> &keys) {
    each([&](Storage &s) { s.remove(keys); });
}

void FanoutStorage::remove_tree(const std::string &prefix) {
    each([&](Storage &s) { s.remove_tree(prefix); });
}

bool FanoutStorage::claim(const std::string &prefix) {
    // Taken in any member: release what was claimed and let the caller try
    // the next name.
    std::vector<size_t> claimed;
    for (size_t i = 0; i < members_.size(); i++) {
        if (!live(i))
            continue;
        bool ok = false;
        try {
            ok = members_[i].store->claim(prefix);
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            drop(i, e.what());
            continue;
        }
        if (ok) {
            claimed.push_back(i);
            continue;
        }
        for (size_t c : claimed)
            members_[c].store->remove_tree(prefix);
        return false;
    }
    return true;
}

} // namespace safekeep
